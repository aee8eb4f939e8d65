def add(a, b):
    return a + b  # pragma: no cover


def divide(a, b):
    if b == 0:
        raise ValueError("division by zero")
    return a / b


def grade(score):
    if score >= 90:
        return "A"
    elif score >= 75:
        return "B"
    return "C"


def unused():
    total = 0
    for value in range(3):
        total += value
    return total
