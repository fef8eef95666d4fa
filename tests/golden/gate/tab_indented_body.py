if ready:
	┃
