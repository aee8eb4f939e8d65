import unittest

from app import calc, shapes


class CalcTest(unittest.TestCase):
    def test_add(self):
        self.assertEqual(calc.add(2, 3), 5)

    def test_divide(self):
        self.assertEqual(calc.divide(6, 3), 2)

    def test_grade(self):
        self.assertEqual(calc.grade(95), "A")
        self.assertEqual(calc.grade(10), "C")

    def test_square(self):
        self.assertEqual(shapes.Square(3).area(), 9)


if __name__ == "__main__":
    unittest.main()
