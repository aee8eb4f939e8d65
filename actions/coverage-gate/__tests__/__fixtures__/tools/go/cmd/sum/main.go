package main

import (
	"fmt"

	"example.com/mpac/tabs/calc"
)

func main() {
	fmt.Println(calc.Split(100, 4), calc.Tip(100, 15))
}
