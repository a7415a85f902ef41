package config

import (
	"os"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"

	audiov1 "github.com/audionode/audionode/api/v1alpha1"
)

// TestProjectFile checks that PROJECT (kubebuilder's record of the layout)
// describes the API as the code defines it, so kubebuilder keeps working.
func TestProjectFile(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "PROJECT"))
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Domain    string   `yaml:"domain"`
		Layout    []string `yaml:"layout"`
		Repo      string   `yaml:"repo"`
		Version   string   `yaml:"version"`
		Resources []struct {
			API struct {
				CRDVersion string `yaml:"crdVersion"`
				Namespaced bool   `yaml:"namespaced"`
			} `yaml:"api"`
			Controller bool   `yaml:"controller"`
			Domain     string `yaml:"domain"`
			Group      string `yaml:"group"`
			Kind       string `yaml:"kind"`
			Path       string `yaml:"path"`
			Version    string `yaml:"version"`
		} `yaml:"resources"`
	}
	if err := yaml.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	if p.Version != "3" || len(p.Layout) != 1 || p.Layout[0] != "go.kubebuilder.io/v4" || p.Repo != "github.com/audionode/audionode" {
		t.Errorf("PROJECT header %+v", p)
	}
	if len(p.Resources) != 1 {
		t.Fatalf("%d resources", len(p.Resources))
	}
	r := p.Resources[0]
	gv := audiov1.GroupVersion
	if r.Group+"."+r.Domain != gv.Group || r.Version != gv.Version || r.Kind != "AudioNode" ||
		r.Path != "github.com/audionode/audionode/api/"+gv.Version || !r.API.Namespaced || r.API.CRDVersion != "v1" || !r.Controller {
		t.Errorf("PROJECT resource %+v does not match %s AudioNode", r, gv)
	}
}
