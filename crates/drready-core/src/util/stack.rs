//! Cedar's parser, validator and evaluator recurse on a policy's structure. Policies come from
//! users (`--policies`) and from evidence bundles, so the code that runs them does so on a thread
//! with a large stack: a hostile policy gives an error, never a stack overflow that aborts the
//! process. (The whole program does not run on such a thread: off the main thread, glibc's
//! allocator uses a secondary arena, which measured about 10% slower on the gate benchmark.)

/// The stack Cedar work runs on: 256 MiB of address space, touched only as deep as it goes.
pub const CEDAR_STACK_BYTES: usize = 256 << 20;

/// Run `f` on a scoped thread with [`CEDAR_STACK_BYTES`] of stack; `None` if the thread could not
/// start or panicked.
pub fn with_big_stack<T: Send>(f: impl FnOnce() -> T + Send) -> Option<T> {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(CEDAR_STACK_BYTES)
            .spawn_scoped(scope, f)
            .ok()?
            .join()
            .ok()
    })
}
