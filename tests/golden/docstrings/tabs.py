class T:
	def ru┃n(self, n):
		if n < 0:
			raise ValueError(n)
		return n
