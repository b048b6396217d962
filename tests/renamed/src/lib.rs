//! The expansion of `rules!` and `rules_file!` names the runtime through the
//! `$crate` of the wrapper macros, so a renamed dependency keeps working. This
//! crate has no `notify_rules` in scope at all.

#[cfg(test)]
mod tests {
    const BODY: &str = r#"{"pipeline":{"name":"shop","counter":"3","build-cause":[],
        "stage":{"name":"deploy","counter":"1","state":"Failed","result":"Failed","jobs":[]}}}"#;

    #[test]
    fn rules_work_under_another_crate_name() {
        let status: nr::model::StageStatus = serde_json::from_str(BODY).unwrap();
        let inline = nr::rules! {
            target ops;
            on stage "deploy" state Failed => send(ops, "{pipeline.name} failed");
        };
        let from_file = nr::rules_file!("rules/ops.rules");
        for rules in [inline, from_file] {
            let d = rules.evaluate(&status);
            assert_eq!(d.len(), 1);
            assert_eq!((d[0].target(), d[0].text()), ("ops", "shop failed"));
        }
    }
}
