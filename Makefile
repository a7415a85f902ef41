# audionode — build, run, test. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -ec
export GOFLAGS ?= -buildvcs=false
export GOTOOLCHAIN ?= local

BIN ?= $(CURDIR)/bin
CONTROLLER_GEN_VERSION ?= v0.23.0
STATICCHECK_VERSION ?= v0.8.2
KUSTOMIZE_VERSION ?= v5.8.2
CONTROLLER_GEN := $(BIN)/controller-gen-$(CONTROLLER_GEN_VERSION)
STATICCHECK := $(BIN)/staticcheck-$(STATICCHECK_VERSION)
KUSTOMIZE := $(BIN)/kustomize-$(KUSTOMIZE_VERSION)
IMG ?= audionode:dev
GO_TEST_FLAGS ?= -count=1 -timeout 30m

.PHONY: help
help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*?## "}{printf "  %-16s %s\n",$$1,$$2}'

.PHONY: build
build: ## build both binaries into bin/
	go build -trimpath -ldflags="-s -w" -o $(BIN)/audionode ./cmd/audionode
	CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o $(BIN)/manager ./cmd/manager

.PHONY: run
run: ## run the node on 127.0.0.1:2333 (password youshallnotpass; env overrides apply)
	SERVER_ADDRESS=$${SERVER_ADDRESS:-127.0.0.1} go run ./cmd/audionode $(ARGS)

.PHONY: test
test: | $(BIN) ## the whole suite, envtest included (builds kube-apiserver and etcd once, cached in ~/.cache)
	@assets="$$(hack/k8s-testbins.sh kube-apiserver etcd)"; \
	KUBEBUILDER_ASSETS="$$assets" go test $(GO_TEST_FLAGS) ./... 2>&1 | tee $(BIN)/.test.log || status=$$?; \
	hack/test-summary.sh $(BIN)/.test.log; exit $${status:-0}

.PHONY: lint
lint: $(STATICCHECK) ## gofmt check, go vet, staticcheck
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet ./...
	$(STATICCHECK) ./...

.PHONY: generate
generate: $(CONTROLLER_GEN) ## deepcopy code for the API types
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./api/..."

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## CRD, RBAC from kubebuilder markers
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd paths="./api/..." paths="./controllers/..." output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac

.PHONY: bench
bench: ## benchmarks of the node's hot paths
	go test -run '^$$' -bench . -benchmem ./node/...

.PHONY: docker-build
docker-build: ## build the node and manager images (needs a container engine)
	docker build --target node -t $(IMG) .
	docker build --target manager -t $(IMG:dev=manager-dev) .

$(BIN):
	mkdir -p $(BIN)
$(CONTROLLER_GEN): | $(BIN)
	GOBIN=$(BIN)/.gobin go install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_GEN_VERSION) && mv $(BIN)/.gobin/controller-gen $@
$(STATICCHECK): | $(BIN)
	GOBIN=$(BIN)/.gobin go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) && mv $(BIN)/.gobin/staticcheck $@
$(KUSTOMIZE): | $(BIN)
	GOBIN=$(BIN)/.gobin go install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION) && mv $(BIN)/.gobin/kustomize $@

.PHONY: dev-cluster dev-cluster-down
dev-cluster: ## local control plane with simulated nodes (kwok), CRD + sample installed, manager running
	hack/dev-cluster.sh up
dev-cluster-down: ## remove the local cluster
	hack/dev-cluster.sh down
