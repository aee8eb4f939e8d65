module github.com/mpac/mpac-pgw

go 1.23
