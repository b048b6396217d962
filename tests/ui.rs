//! Compile-fail cases, one per error class of the rule language, and pass cases
//! that together cover the whole grammar.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
