// Package main builds the etcd server from the published go.etcd.io/etcd/server/v3
// module. etcd's own main modules carry local replace directives, so `go install`
// of them fails; this wrapper calls the same entry point etcd's server/main.go does.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
