module example.com/mpac/tabs

go 1.19
