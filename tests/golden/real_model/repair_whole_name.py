class Pool:
    def handle_request(self, request: str) -> str:
        return request


def forward(pool: Pool, inner, request: str) -> str:
    inner.handle_request_async(request)
    return pool.┃
