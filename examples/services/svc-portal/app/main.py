"""svc-portal: the terminal portal API (FastAPI); a stand-in with the shape of the real service."""


def health() -> dict:
    return {"status": "ok"}


def version(sha: str) -> str:
    return sha


def order_total(lines: list[tuple[int, int]]) -> int:
    total = 0
    for quantity, unit_price in lines:
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        total += quantity * unit_price
    return total
