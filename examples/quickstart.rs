//! The library in one page: an expression compiled while this example compiles
//! (`jit_expr!`), one compiled at run time from a string (`Jit::compile`), the typed fast path,
//! the machine code, and what a user sees for a bad expression.
//!
//! `cargo run --release --example quickstart [EXPR]`

use trivial_jit::{Jit, jit_expr};

fn main() {
    // Compile time: the machine code is a static byte array of this program; the arguments
    // are the free variables in byte order (a, b, c).
    let root = jit_expr!("(-b+(b^2-4*a*c)^0.5)/(2*a)");
    println!("x^2 - 3x + 2 = 0 has the root {}", root(1.0, -3.0, 2.0));
    assert_eq!(root(1.0, -3.0, 2.0), 2.0);

    // Run time: the same language and the same code for a string known only now.
    let src = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "(-b+(b^2-4*a*c)^0.5)/(2*a)".into());
    let f = match Jit::compile(&src) {
        Ok(f) => f,
        Err(e) => {
            // a byte span into the source, drawn with a caret
            eprint!("{}", e.render(&src));
            std::process::exit(1);
        }
    };
    println!("\n{src}\narguments: {:?}", f.args());
    let inputs: Vec<f64> = (0..f.arity()).map(|i| [1.0, -3.0, 2.0][i % 3]).collect();
    println!("f{inputs:?} = {}", f.call(&inputs));

    // The machine code, one instruction a line (offset, bytes, Intel syntax).
    print!("\n{}", f.listing());

    // Typed handles check the arity once; their calls pass the arguments in registers.
    if let Ok(h) = f.typed3() {
        let bits = |x: f64| x.to_bits();
        assert_eq!(
            bits(h.call(1.0, -3.0, 2.0)),
            bits(f.call(&[1.0, -3.0, 2.0]))
        );
        println!("typed3: {}", h.call(1.0, -3.0, 2.0));
    }

    // Errors point at the problem.
    for bad in ["2*x^", "(1 + 2", "sin x", "2x"] {
        let e = Jit::compile(bad).unwrap_err();
        println!("\n{bad:?}: {:?} at bytes {:?}", e.kind(), e.span());
        print!("{}", e.render(bad));
    }
}
