module github.com/mpac/svc-smarttab

go 1.23
