// Package main is svc-smarttab (Go/Gin); a stand-in with the shape of the real service.
package main

import "fmt"

func health() string {
	return "ok"
}

func settle(amounts []int) (int, error) {
	total := 0
	for _, amount := range amounts {
		if amount < 0 {
			return 0, fmt.Errorf("negative amount %d", amount)
		}
		total += amount
	}
	return total, nil
}

func main() {
	fmt.Println(health())
}
