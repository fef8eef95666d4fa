class Client:
    def __init__(self, base_url, timeout=5.0):
        self.base_url = base_url

    def get(self, path):
        return fetch(self.base_url + path, timeout=self.timeout)
