// The expansion must not lean on the prelude: every path it writes is absolute.
#![no_implicit_prelude]

fn main() {
    let rules = ::notify_rules::rules! {
        target ops;
        on pipeline "api-*" | regex("svc-.+") stage "test" not state Passed job "unit" Failed => send(ops, "{pipeline.name}: {jobs.failed}");
        on label "1.*" branch "main" approved_by "maria" group "web" result Failed broken => send(ops), stop;
        on if |s: &::notify_rules::model::StageStatus| s.pipeline.counter > 1 => send(ops);
    };
    let _ = rules.len();
    let _ = ::notify_rules::rules_file!("../../../../tests/ui/rules/all.rules");
}
