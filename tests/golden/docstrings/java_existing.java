class A {
    /** Make it, 😀 human text stays. */
    public ┃A(int x, String y) {}
}
