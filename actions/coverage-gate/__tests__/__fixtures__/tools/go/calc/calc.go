package calc

// Split divides a bill between people, rounding the remainder onto the first share.
func Split(total, people int) []int {
	if people <= 0 {
		return nil
	}
	shares := make([]int, people)
	for i := range shares {
		shares[i] = total / people
	}
	shares[0] += total % people
	return shares
}

// Tip returns the tip for a percentage.
func Tip(total, percent int) int {
	if percent < 0 {
		return 0
	}
	return total * percent / 100
}
