package controllers

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"strconv"

	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	audiov1 "github.com/audionode/audionode/api/v1alpha1"
)

// Fixed facts about the node image (the Dockerfile's `node` target).
const (
	containerName = "audionode"
	portName      = "lavalink"
	configDir     = "/config"
	configFile    = "application.yml"
	nodeUID       = 65532
	// envPassword is the environment spelling of lavalink.server.password.
	envPassword = "LAVALINK_SERVER_PASSWORD"
	// metricsPath is where the rendered config serves Prometheus metrics.
	metricsPath = "/metrics"

	defaultDrainTimeoutSeconds int32 = 300
	// graceMarginSeconds is added to the drain timeout so the node can close
	// its sockets after the deadline before the kubelet kills it.
	graceMarginSeconds int64 = 30
	// memLimitPercent of the container memory limit goes to GOMEMLIMIT.
	memLimitPercent = 90
)

// fleetLabels are the labels on every child of an AudioNode.
func fleetLabels(an *audiov1.AudioNode) map[string]string {
	return map[string]string{
		"app.kubernetes.io/name":       "audionode",
		"app.kubernetes.io/instance":   an.Name,
		"app.kubernetes.io/component":  "node",
		"app.kubernetes.io/managed-by": "audionode-operator",
		audiov1.LabelFleet:             an.Name,
	}
}

// selectorLabels select an AudioNode's pods; status.selector is their string form.
func selectorLabels(an *audiov1.AudioNode) map[string]string {
	return map[string]string{audiov1.LabelFleet: an.Name}
}

func configMapName(an *audiov1.AudioNode) string { return an.Name + "-config" }
func serviceName(an *audiov1.AudioNode) string   { return an.Name }
func podName(an *audiov1.AudioNode, ordinal int) string {
	return an.Name + "-" + strconv.Itoa(ordinal)
}

func nodePort(an *audiov1.AudioNode) int32 {
	if p := an.Spec.Config.Port; p != nil {
		return *p
	}
	return audiov1.DefaultPort
}

func drainTimeoutSeconds(an *audiov1.AudioNode) int32 {
	if r := an.Spec.Recycle; r != nil && r.DrainTimeoutSeconds != nil {
		return *r.DrainTimeoutSeconds
	}
	return defaultDrainTimeoutSeconds
}

// desiredReplicas is the pod count to converge to: spec.replicas when set
// (user, kubectl scale, HPA, KEDA), otherwise the autoscaler's floor. The
// player-count autoscaler (issue 8) will raise it within min/max.
func desiredReplicas(an *audiov1.AudioNode) int32 {
	if an.Spec.Replicas != nil {
		return *an.Spec.Replicas
	}
	if as := an.Spec.Autoscaling; as != nil && as.MinReplicas != nil {
		return *as.MinReplicas
	}
	return 1
}

// renderConfig renders the node's application.yml. The overlay goes first,
// typed fields over it, operator-owned keys last; yaml.v3 sorts map keys, so
// equal specs give byte-identical files.
func renderConfig(an *audiov1.AudioNode) (string, error) {
	root := map[string]any{}
	c := &an.Spec.Config
	if c.Overlay != nil && len(c.Overlay.Raw) > 0 {
		var v any
		if err := json.Unmarshal(c.Overlay.Raw, &v); err != nil {
			return "", fmt.Errorf("%w: %v", ErrInvalidOverlay, err)
		}
		m, ok := integralNumbers(v).(map[string]any)
		if !ok {
			return "", fmt.Errorf("%w: not an object", ErrInvalidOverlay)
		}
		root = m
	}
	ls := map[string]any{}
	setInt := func(key string, v *int32) {
		if v != nil {
			ls[key] = int64(*v)
		}
	}
	setBool := func(m map[string]any, key string, v *bool) {
		if v != nil {
			m[key] = *v
		}
	}
	setInt("bufferDurationMs", c.BufferDurationMs)
	setInt("frameBufferDurationMs", c.FrameBufferDurationMs)
	setInt("opusEncodingQuality", c.OpusEncodingQuality)
	setInt("trackStuckThresholdMs", c.TrackStuckThresholdMs)
	setInt("playerUpdateInterval", c.PlayerUpdateInterval)
	setInt("youtubePlaylistLoadLimit", c.YoutubePlaylistLoadLimit)
	if c.ResamplingQuality != "" {
		ls["resamplingQuality"] = string(c.ResamplingQuality)
	}
	setBool(ls, "useSeekGhosting", c.UseSeekGhosting)
	setBool(ls, "youtubeSearchEnabled", c.YoutubeSearchEnabled)
	setBool(ls, "soundcloudSearchEnabled", c.SoundcloudSearchEnabled)
	if s := c.Sources; s != nil {
		src := map[string]any{}
		setBool(src, "youtube", s.Youtube)
		setBool(src, "bandcamp", s.Bandcamp)
		setBool(src, "soundcloud", s.Soundcloud)
		setBool(src, "twitch", s.Twitch)
		setBool(src, "vimeo", s.Vimeo)
		setBool(src, "nico", s.Nico)
		setBool(src, "http", s.HTTP)
		setBool(src, "local", s.Local)
		if len(src) > 0 {
			ls["sources"] = src
		}
	}
	if len(ls) > 0 {
		mergeInto(root, map[string]any{"lavalink": map[string]any{"server": ls}})
	}
	if c.LogLevel != "" {
		mergeInto(root, map[string]any{"audionode": map[string]any{"log": map[string]any{"level": string(c.LogLevel)}}})
	}
	// Operator-owned keys: the port the pod and Service expose, metrics the
	// operator scrapes, the drain deadline matching the grace period.
	mergeInto(root, map[string]any{
		"server":  map[string]any{"port": int64(nodePort(an))},
		"metrics": map[string]any{"prometheus": map[string]any{"enabled": true, "endpoint": metricsPath}},
		"audionode": map[string]any{"drain": map[string]any{
			"timeoutMs": int64(drainTimeoutSeconds(an)) * 1000,
		}},
	})
	// The password comes from the Secret through the environment; never
	// let an overlay copy it into a ConfigMap.
	if l, ok := root["lavalink"].(map[string]any); ok {
		if s, ok := l["server"].(map[string]any); ok {
			delete(s, "password")
		}
	}
	out, err := yaml.Marshal(root)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidOverlay, err)
	}
	return "# Rendered by the audionode operator from AudioNode " + an.Namespace + "/" + an.Name + "; edits are overwritten.\n" + string(out), nil
}

// mergeInto deep-merges src into dst; src wins on conflicts.
func mergeInto(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				mergeInto(dm, sm)
				continue
			}
			cp := map[string]any{}
			mergeInto(cp, sm)
			dst[k] = cp
			continue
		}
		dst[k] = v
	}
}

// integralNumbers turns JSON's float64 integers back into int64 so the YAML
// reads 5000, not 5000.0 or 5e+03.
func integralNumbers(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = integralNumbers(e)
		}
		return t
	case []any:
		for i, e := range t {
			t[i] = integralNumbers(e)
		}
		return t
	case float64:
		if t == math.Trunc(t) && math.Abs(t) < 1<<53 {
			return int64(t)
		}
		return t
	default:
		return v
	}
}

// hashOf is a short stable hash of v's JSON form (maps marshal sorted).
func hashOf(v ...any) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, x := range v {
		// Encoding our own plain structs cannot fail.
		_ = enc.Encode(x)
	}
	return hex.EncodeToString(h.Sum(nil))[:10]
}

func desiredConfigMap(an *audiov1.AudioNode, cfg string) *corev1.ConfigMap {
	cm := &corev1.ConfigMap{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      configMapName(an),
			Namespace: an.Namespace,
			Labels:    fleetLabels(an),
		},
		Data: map[string]string{configFile: cfg},
	}
	cm.Annotations = map[string]string{audiov1.AnnotationSpecHash: hashOf(cm.Labels, cm.Data)}
	return cm
}

func desiredService(an *audiov1.AudioNode) *corev1.Service {
	svc := &corev1.Service{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      serviceName(an),
			Namespace: an.Namespace,
			Labels:    fleetLabels(an),
		},
		Spec: corev1.ServiceSpec{
			// Headless: DNS A records per ready pod and an SRV record
			// _lavalink._tcp.<name>.<namespace>.svc for client discovery.
			ClusterIP:                corev1.ClusterIPNone,
			Selector:                 selectorLabels(an),
			PublishNotReadyAddresses: false,
			Ports: []corev1.ServicePort{{
				Name:       portName,
				Protocol:   corev1.ProtocolTCP,
				Port:       nodePort(an),
				TargetPort: intstr.FromString(portName),
			}},
		},
	}
	svc.Annotations = map[string]string{audiov1.AnnotationSpecHash: hashOf(svc.Labels, svc.Spec)}
	return svc
}

// podTemplate is everything of a node pod except its name and hostname, and
// the revision: the hash of the template and the config it mounts, so a
// change to either rolls the pods.
func podTemplate(an *audiov1.AudioNode, cfg string) (corev1.PodTemplateSpec, string) {
	o := &an.Spec.PodTemplate
	labels := map[string]string{}
	for k, v := range o.Labels {
		labels[k] = v
	}
	for k, v := range fleetLabels(an) {
		labels[k] = v
	}
	var annotations map[string]string
	if len(o.Annotations) > 0 {
		annotations = map[string]string{}
		for k, v := range o.Annotations {
			annotations[k] = v
		}
	}
	env := []corev1.EnvVar{}
	if lim, ok := an.Spec.Resources.Limits[corev1.ResourceMemory]; ok {
		env = append(env, corev1.EnvVar{Name: "GOMEMLIMIT", Value: goMemLimit(lim)})
	}
	env = append(env, corev1.EnvVar{
		Name: envPassword,
		ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: an.Spec.Password.Name},
			Key:                  an.Spec.Password.Key,
		}},
	})
	httpGet := func(path string) corev1.ProbeHandler {
		return corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
			Path: path, Port: intstr.FromString(portName), Scheme: corev1.URISchemeHTTP,
		}}
	}
	c := corev1.Container{
		Name:            containerName,
		Image:           an.Spec.Image,
		ImagePullPolicy: an.Spec.ImagePullPolicy,
		Args:            []string{"--config", configDir + "/" + configFile},
		Ports: []corev1.ContainerPort{{
			Name: portName, ContainerPort: nodePort(an), Protocol: corev1.ProtocolTCP,
		}},
		Env:       env,
		Resources: *an.Spec.Resources.DeepCopy(),
		// Startup gives a slow start two minutes before liveness counts.
		StartupProbe: &corev1.Probe{ProbeHandler: httpGet("/healthz"),
			PeriodSeconds: 2, TimeoutSeconds: 2, FailureThreshold: 60, SuccessThreshold: 1},
		LivenessProbe: &corev1.Probe{ProbeHandler: httpGet("/healthz"),
			PeriodSeconds: 10, TimeoutSeconds: 2, FailureThreshold: 3, SuccessThreshold: 1},
		// /readyz answers 503 while the node drains, which takes the pod
		// out of the Service without restarting it.
		ReadinessProbe: &corev1.Probe{ProbeHandler: httpGet("/readyz"),
			PeriodSeconds: 5, TimeoutSeconds: 2, FailureThreshold: 1, SuccessThreshold: 1},
		VolumeMounts: []corev1.VolumeMount{
			{Name: "config", MountPath: configDir, ReadOnly: true},
			{Name: "tmp", MountPath: "/tmp"},
		},
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptr.To(false),
			ReadOnlyRootFilesystem:   ptr.To(true),
			RunAsNonRoot:             ptr.To(true),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		},
	}
	spec := corev1.PodSpec{
		Containers:                    []corev1.Container{c},
		Subdomain:                     serviceName(an),
		RestartPolicy:                 corev1.RestartPolicyAlways,
		TerminationGracePeriodSeconds: ptr.To(int64(drainTimeoutSeconds(an)) + graceMarginSeconds),
		EnableServiceLinks:            ptr.To(false),
		AutomountServiceAccountToken:  ptr.To(false),
		ServiceAccountName:            o.ServiceAccountName,
		NodeSelector:                  o.NodeSelector,
		Tolerations:                   o.Tolerations,
		Affinity:                      o.Affinity,
		PriorityClassName:             o.PriorityClassName,
		ImagePullSecrets:              o.ImagePullSecrets,
		SecurityContext: &corev1.PodSecurityContext{
			RunAsNonRoot:   ptr.To(true),
			RunAsUser:      ptr.To(int64(nodeUID)),
			RunAsGroup:     ptr.To(int64(nodeUID)),
			FSGroup:        ptr.To(int64(nodeUID)),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		Volumes: []corev1.Volume{
			{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: configMapName(an)},
				Items:                []corev1.KeyToPath{{Key: configFile, Path: configFile}},
			}}},
			{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{
				SizeLimit: ptr.To(resource.MustParse("64Mi")),
			}}},
		},
	}
	tpl := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: annotations},
		Spec:       spec,
	}
	rev := hashOf(tpl, cfg)
	tpl.Labels[audiov1.LabelRevision] = rev
	return tpl, rev
}

// goMemLimit is memLimitPercent of a memory limit, in bytes.
func goMemLimit(q resource.Quantity) string {
	return strconv.FormatInt(q.Value()/100*memLimitPercent, 10)
}

// newPod is a node pod named for its ordinal, built from tpl.
func newPod(an *audiov1.AudioNode, tpl *corev1.PodTemplateSpec, name string) *corev1.Pod {
	p := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: *tpl.ObjectMeta.DeepCopy(),
		Spec:       *tpl.Spec.DeepCopy(),
	}
	p.Name = name
	p.Namespace = an.Namespace
	p.Spec.Hostname = name
	return p
}

// podAddress is ip:port for clients, or "" before the pod has an IP.
func podAddress(p *corev1.Pod, port int32) string {
	if p.Status.PodIP == "" {
		return ""
	}
	return net.JoinHostPort(p.Status.PodIP, strconv.Itoa(int(port)))
}
