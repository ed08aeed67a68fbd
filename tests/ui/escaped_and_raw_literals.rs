use trivial_jit::jit_expr;

fn main() {
    // The caret in the message counts characters of the value, not of the source; a tab
    // is shown as one space so that the caret stays under the character.
    let _ = jit_expr!("a\t+ $");
    let _ = jit_expr!("\u{3b8} + \x24");
    let _ = jit_expr!(r#"x + "y""#);
    let _ = jit_expr!("√x ?");
}
