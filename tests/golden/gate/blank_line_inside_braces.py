config = {
┃
}
