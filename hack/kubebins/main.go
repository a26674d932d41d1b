// Package main pins the kube-apiserver, kube-controller-manager and kube-scheduler
// commands into this module's build list so that `go build` of each of them, from the
// module proxy, resolves k8s.io/kubernetes and its staging modules as go.mod says.
// It is never run; scripts/control-plane-binaries builds the three commands directly.
package main

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver/app"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	_ "k8s.io/kubernetes/cmd/kube-scheduler/app"
)

func main() {}
