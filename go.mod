module github.com/dispatchd/dispatchd

go 1.26.0
