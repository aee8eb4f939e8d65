from app.main import health, order_total


def test_health():
    assert health() == {"status": "ok"}


def test_order_total():
    assert order_total([(2, 150), (1, 300)]) == 600
