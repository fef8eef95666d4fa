impl Foo {
    #[inline]
    pub fn ┃parse(&self, input: &str, n: usize) -> Result<u8, Error> {
        input.parse().unwrap()
    }
}
