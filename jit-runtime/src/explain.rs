//! `JitFn::explain`: the machine code of a compiled function, instruction by instruction,
//! with every encoding field and the constant pool as values.

use crate::JitFn;
use jit_compiler::codegen::{CodegenOptions, compile_with};

impl JitFn {
    /// The machine code explained: for every instruction the Intel syntax, one line on what
    /// it does and its bytes split into fields (prefixes, REX/VEX bits, opcode, ModRM, SIB,
    /// displacement, immediate); the constant pool as values. Regenerated on demand, like
    /// [`listing`](Self::listing).
    ///
    /// ```
    /// let f = jit_runtime::Jit::compile("2*x^0.5")?;
    /// let text = f.explain();
    /// assert!(text.contains("sqrtsd: square root of the low double"));
    /// assert!(text.contains("ModRM"));
    /// # Ok::<(), jit_runtime::Error>(())
    /// ```
    pub fn explain(&self) -> String {
        let options = CodegenOptions {
            listing: true,
            ..self.codegen_options()
        };
        match compile_with(self.expr(), &options) {
            Ok(c) => jit_compiler::x64::explain_compiled(&c),
            Err(e) => format!("; {e}\n"),
        }
    }
}
