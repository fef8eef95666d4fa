/// Adds.
///
/// # Arguments
///
/// * `a` - First.
fn ┃add(a: i32, b: i32) {}
