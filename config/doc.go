// Package config holds the operator's kustomize manifests (it has no Go code).
// Its tests check the packaging: that `make generate manifests helm-chart
// build-installer` would change nothing that is committed, and that the
// Dockerfile builds the images the manifests expect.
package config
