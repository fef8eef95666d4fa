class A {
    @Override
    public <T> List<T> ┃of(T first, T... xs) throws IOException, E {
        return null;
    }
}
