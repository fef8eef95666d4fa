class Client(Base):
    def __init__(self, base_url, timeout=5.0):
        super().__init__(timeout)
        self.base_url = base_url

    def get(self, path):
        return fetch(self.base_url + path)
