/// Unit.
///
/// # Arguments
///
/// * `a` - First.
pub fn ┃unit(a: i32) {}
