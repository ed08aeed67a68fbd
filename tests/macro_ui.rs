//! trybuild: every compile error of `jit_expr!` (reviewed `.stderr` files beside the cases)
//! and every accepted form.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass_*.rs");
    for entry in std::fs::read_dir("tests/ui").unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name.ends_with(".rs") && !name.starts_with("pass_") {
            t.compile_fail(&path);
        }
    }
}
