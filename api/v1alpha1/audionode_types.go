package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Label and annotation keys the operator owns on the children it creates.
// Users cannot set keys under this prefix through spec.podTemplate.
const (
	// LabelFleet names the AudioNode a child belongs to; status.selector selects it.
	LabelFleet = "audio.audionode.dev/fleet"
	// LabelRevision is the hash of the pod template a pod was created from.
	LabelRevision = "audio.audionode.dev/revision"
	// AnnotationSpecHash on a Service or ConfigMap is the hash of what the
	// operator last applied, so an unchanged child costs no API write.
	AnnotationSpecHash = "audio.audionode.dev/spec-hash"
	// AnnotationDeleteFirst on a pod makes it the first victim of a scale-down
	// or a rollout (the fleet logic of issue 8 honours it too).
	AnnotationDeleteFirst = "audio.audionode.dev/delete-first"
	// AnnotationDrain on a pod marks it as draining; the operator sets it.
	AnnotationDrain = "audio.audionode.dev/drain"
	// AnnotationRecycle on a pod marks it for replacement (its value is the
	// reason: MemoryLimit, OpenFDLimit, MaxAge); the operator surges a new
	// pod first, then drains this one. The operator sets it.
	AnnotationRecycle = "audio.audionode.dev/recycle"
)

// Condition types in status.conditions.
const (
	// ConditionReady is True when every desired pod runs the current spec and is ready.
	ConditionReady = "Ready"
	// ConditionProgressing is True while pods are created, replaced or removed.
	ConditionProgressing = "Progressing"
	// ConditionDegraded is True when pods fail or the last reconcile failed.
	ConditionDegraded = "Degraded"
	// ConditionReconciling is True while the operator has work left (kstatus).
	ConditionReconciling = "Reconciling"
)

// DefaultPort is the node's Lavalink port when spec.config.port is unset.
const DefaultPort int32 = 2333

// AudioNode is a fleet of Lavalink-compatible audio node pods.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:subresource:scale:specpath=.spec.replicas,statuspath=.status.replicas,selectorpath=.status.selector
// +kubebuilder:resource:shortName=an,categories=audionode
// +kubebuilder:printcolumn:name="Ready",type=integer,JSONPath=`.status.readyReplicas`
// +kubebuilder:printcolumn:name="Desired",type=integer,JSONPath=`.status.desiredReplicas`
// +kubebuilder:printcolumn:name="Players",type=integer,JSONPath=`.status.players`
// +kubebuilder:printcolumn:name="Playing",type=integer,JSONPath=`.status.playingPlayers`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[?(@.type=='Ready')].reason`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$') && size(self.metadata.name) <= 52",message="metadata.name must be a DNS label of at most 52 characters starting with a letter: it names the Service and, with a -<ordinal> suffix, every pod's hostname"
type AudioNode struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitzero"`

	// spec is the fleet the user wants.
	// +required
	Spec AudioNodeSpec `json:"spec"`

	// status is what the operator observed and decided.
	// +optional
	Status AudioNodeStatus `json:"status,omitzero"`
}

// AudioNodeSpec is the desired fleet.
//
// +kubebuilder:validation:XValidation:rule="(has(self.config) && has(self.config.port) ? self.config.port : 2333) == (has(oldSelf.config) && has(oldSelf.config.port) ? oldSelf.config.port : 2333)",message="config.port cannot be changed: bots are configured with it; create a new AudioNode to move to another port"
type AudioNodeSpec struct {
	// replicas is the number of node pods. Leave it out to let the built-in
	// autoscaler decide (status.desiredReplicas); set it (or let kubectl scale,
	// an HPA or KEDA set it through /scale) to fix the count.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	Replicas *int32 `json:"replicas,omitempty"`

	// image is the node container image (the Dockerfile's `node` target).
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Image string `json:"image"`

	// imagePullPolicy of the node container; Kubernetes' default applies when unset.
	// +optional
	ImagePullPolicy corev1.PullPolicy `json:"imagePullPolicy,omitempty"`

	// resources of the node container. A memory limit also sets GOMEMLIMIT to
	// 90 % of it, so the Go runtime collects before the kernel kills.
	// +optional
	Resources corev1.ResourceRequirements `json:"resources,omitzero"`

	// password is the Secret key that holds the Lavalink password clients send
	// in the Authorization header. It is never written inline.
	// +required
	Password SecretKeyRef `json:"password"`

	// config is the node's application.yml: a typed subset plus a free-form overlay.
	// +optional
	Config NodeConfig `json:"config,omitzero"`

	// autoscaling bounds the built-in autoscaler, used when replicas is unset.
	// +optional
	Autoscaling *Autoscaling `json:"autoscaling,omitempty"`

	// recycle replaces a pod (new pod first, then drain the old one) when it
	// leaks memory or file descriptors or grows old.
	// +optional
	Recycle *Recycle `json:"recycle,omitempty"`

	// podTemplate adds scheduling and metadata to every node pod.
	// +optional
	PodTemplate PodTemplateOverrides `json:"podTemplate,omitzero"`
}

// SecretKeyRef names a key of a Secret in the AudioNode's namespace.
type SecretKeyRef struct {
	// name of the Secret.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// key in the Secret's data.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Key string `json:"key"`
}

// ResamplingQuality is lavalink.server.resamplingQuality.
// +kubebuilder:validation:Enum=LOW;MEDIUM;HIGH
type ResamplingQuality string

// LogLevel is audionode.log.level.
// +kubebuilder:validation:Enum=debug;info;warn;error
type LogLevel string

// NodeConfig is the part of application.yml the operator renders. Keys the
// operator owns (server.port, server.address, the password and
// metrics.prometheus) always win over the overlay.
type NodeConfig struct {
	// port is server.port, the Lavalink HTTP and WebSocket port (default 2333).
	// +optional
	// +kubebuilder:validation:Minimum=1024
	// +kubebuilder:validation:Maximum=65535
	Port *int32 `json:"port,omitempty"`

	// sources turns audio sources on or off (lavalink.server.sources).
	// +optional
	Sources *Sources `json:"sources,omitempty"`

	// bufferDurationMs is lavalink.server.bufferDurationMs.
	// +optional
	// +kubebuilder:validation:Minimum=200
	// +kubebuilder:validation:Maximum=60000
	BufferDurationMs *int32 `json:"bufferDurationMs,omitempty"`

	// frameBufferDurationMs is lavalink.server.frameBufferDurationMs.
	// +optional
	// +kubebuilder:validation:Minimum=200
	// +kubebuilder:validation:Maximum=60000
	FrameBufferDurationMs *int32 `json:"frameBufferDurationMs,omitempty"`

	// opusEncodingQuality is lavalink.server.opusEncodingQuality (0 fastest .. 10 best).
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=10
	OpusEncodingQuality *int32 `json:"opusEncodingQuality,omitempty"`

	// resamplingQuality is lavalink.server.resamplingQuality.
	// +optional
	ResamplingQuality ResamplingQuality `json:"resamplingQuality,omitempty"`

	// trackStuckThresholdMs is lavalink.server.trackStuckThresholdMs.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=3600000
	TrackStuckThresholdMs *int32 `json:"trackStuckThresholdMs,omitempty"`

	// playerUpdateInterval is lavalink.server.playerUpdateInterval, in seconds.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=3600
	PlayerUpdateInterval *int32 `json:"playerUpdateInterval,omitempty"`

	// youtubePlaylistLoadLimit is lavalink.server.youtubePlaylistLoadLimit.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	YoutubePlaylistLoadLimit *int32 `json:"youtubePlaylistLoadLimit,omitempty"`

	// useSeekGhosting is lavalink.server.useSeekGhosting.
	// +optional
	UseSeekGhosting *bool `json:"useSeekGhosting,omitempty"`

	// youtubeSearchEnabled is lavalink.server.youtubeSearchEnabled.
	// +optional
	YoutubeSearchEnabled *bool `json:"youtubeSearchEnabled,omitempty"`

	// soundcloudSearchEnabled is lavalink.server.soundcloudSearchEnabled.
	// +optional
	SoundcloudSearchEnabled *bool `json:"soundcloudSearchEnabled,omitempty"`

	// logLevel is audionode.log.level.
	// +optional
	LogLevel LogLevel `json:"logLevel,omitempty"`

	// overlay is merged into application.yml under the typed fields above
	// (typed fields and operator-owned keys win). Write it as nested YAML, as
	// in the file, for settings this subset does not cover.
	// +optional
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	Overlay *apiextensionsv1.JSON `json:"overlay,omitempty"`
}

// Sources turns the node's audio sources on or off; unset keeps the node's default.
type Sources struct {
	// +optional
	Youtube *bool `json:"youtube,omitempty"`
	// +optional
	Bandcamp *bool `json:"bandcamp,omitempty"`
	// +optional
	Soundcloud *bool `json:"soundcloud,omitempty"`
	// +optional
	Twitch *bool `json:"twitch,omitempty"`
	// +optional
	Vimeo *bool `json:"vimeo,omitempty"`
	// +optional
	Nico *bool `json:"nico,omitempty"`
	// +optional
	HTTP *bool `json:"http,omitempty"`
	// +optional
	Local *bool `json:"local,omitempty"`
}

// Autoscaling bounds the built-in player-count autoscaler.
//
// +kubebuilder:validation:XValidation:rule="!has(self.minReplicas) || !has(self.maxReplicas) || self.minReplicas <= self.maxReplicas",message="autoscaling.minReplicas must be less than or equal to autoscaling.maxReplicas"
type Autoscaling struct {
	// minReplicas is the floor (default 1).
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	MinReplicas *int32 `json:"minReplicas,omitempty"`

	// maxReplicas is the ceiling (default 10).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	MaxReplicas *int32 `json:"maxReplicas,omitempty"`

	// targetPlayersPerPod: desired = ceil(players / target), bounded by min and max.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100000
	TargetPlayersPerPod *int32 `json:"targetPlayersPerPod,omitempty"`

	// scaleUpStabilizationSeconds: scale up only after the higher desire held this long.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=3600
	ScaleUpStabilizationSeconds *int32 `json:"scaleUpStabilizationSeconds,omitempty"`

	// scaleDownStabilizationSeconds: scale down only after the lower desire held this long.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=86400
	ScaleDownStabilizationSeconds *int32 `json:"scaleDownStabilizationSeconds,omitempty"`
}

// Recycle sets when a pod is replaced and how long its players may finish.
type Recycle struct {
	// maxMemoryBytes: a pod whose resident memory exceeds this is recycled.
	// Keep it under the memory limit, or the OOM killer acts first.
	// +optional
	// +kubebuilder:validation:Minimum=67108864
	MaxMemoryBytes *int64 `json:"maxMemoryBytes,omitempty"`

	// maxOpenFDs: a pod with more open file descriptors is recycled.
	// +optional
	// +kubebuilder:validation:Minimum=64
	MaxOpenFDs *int64 `json:"maxOpenFDs,omitempty"`

	// maxAgeSeconds: a pod older than this is recycled.
	// +optional
	// +kubebuilder:validation:Minimum=60
	MaxAgeSeconds *int64 `json:"maxAgeSeconds,omitempty"`

	// drainTimeoutSeconds is how long a draining pod's players may finish
	// before it is removed (default 300). The pod's termination grace period
	// is this plus 30 seconds.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=86400
	DrainTimeoutSeconds *int32 `json:"drainTimeoutSeconds,omitempty"`

	// maxConcurrent caps how many pods recycle at once (default 1).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	MaxConcurrent *int32 `json:"maxConcurrent,omitempty"`
}

// PodTemplateOverrides are added to every node pod.
type PodTemplateOverrides struct {
	// labels added to every pod; keys under audio.audionode.dev/ are the operator's.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, !k.startsWith('audio.audionode.dev/'))",message="podTemplate.labels must not use the audio.audionode.dev/ prefix: the operator owns those labels"
	Labels map[string]string `json:"labels,omitempty"`

	// annotations added to every pod; keys under audio.audionode.dev/ are the operator's.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, !k.startsWith('audio.audionode.dev/'))",message="podTemplate.annotations must not use the audio.audionode.dev/ prefix: the operator owns those annotations"
	Annotations map[string]string `json:"annotations,omitempty"`

	// nodeSelector of every pod.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`

	// tolerations of every pod.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`

	// affinity of every pod.
	// +optional
	Affinity *corev1.Affinity `json:"affinity,omitempty"`

	// priorityClassName of every pod.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	PriorityClassName string `json:"priorityClassName,omitempty"`

	// serviceAccountName of every pod; its token is not mounted.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	ServiceAccountName string `json:"serviceAccountName,omitempty"`

	// imagePullSecrets of every pod.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=16
	ImagePullSecrets []corev1.LocalObjectReference `json:"imagePullSecrets,omitempty"`
}

// PodPhase is where a node pod is in its life as the operator sees it.
// +kubebuilder:validation:Enum=Starting;Serving;Draining;Recycling
type PodPhase string

// Pod phases in status.pods.
const (
	// PodStarting: created, not ready yet.
	PodStarting PodPhase = "Starting"
	// PodServing: ready, on the current revision, taking players.
	PodServing PodPhase = "Serving"
	// PodDraining: takes no new players, is removed when empty or at its deadline.
	PodDraining PodPhase = "Draining"
	// PodRecycling: outdated or leaking, to be replaced by a new pod.
	PodRecycling PodPhase = "Recycling"
)

// AudioNodeStatus is what the operator observed.
type AudioNodeStatus struct {
	// conditions: Ready, Progressing, Degraded, Reconciling.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation the status was computed from.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// replicas is the number of node pods that exist and are not terminating.
	// +optional
	Replicas int32 `json:"replicas"`

	// readyReplicas is the number of those pods that are ready.
	// +optional
	ReadyReplicas int32 `json:"readyReplicas"`

	// updatedReplicas is the number of pods on the current revision.
	// +optional
	UpdatedReplicas int32 `json:"updatedReplicas"`

	// desiredReplicas is the count the operator works towards: spec.replicas
	// when set, otherwise the built-in autoscaler's decision.
	// +optional
	DesiredReplicas int32 `json:"desiredReplicas"`

	// players is the sum of players over pods whose count is known.
	// +optional
	Players int32 `json:"players"`

	// playingPlayers is the sum of playing players over pods whose count is known.
	// +optional
	PlayingPlayers int32 `json:"playingPlayers"`

	// selector is the label selector of the node pods, as a string, for /scale.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Selector string `json:"selector,omitempty"`

	// currentRevision is the hash of the pod template pods are rolled to.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	CurrentRevision string `json:"currentRevision,omitempty"`

	// pods summarises the node pods in ordinal order (at most 1024).
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=1024
	Pods []PodSummary `json:"pods,omitempty"`
}

// PodSummary is one node pod as the operator sees it.
type PodSummary struct {
	// name of the pod.
	// +required
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`
	// address is podIP:port, empty until the pod has an IP.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Address string `json:"address,omitempty"`
	// phase of the pod.
	// +required
	Phase PodPhase `json:"phase"`
	// revision the pod was created from.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Revision string `json:"revision,omitempty"`
	// players on the pod; unset while unknown.
	// +optional
	Players *int32 `json:"players,omitempty"`
	// playingPlayers on the pod; unset while unknown.
	// +optional
	PlayingPlayers *int32 `json:"playingPlayers,omitempty"`
	// memoryBytes is the pod's resident memory; unset while unknown.
	// +optional
	MemoryBytes *int64 `json:"memoryBytes,omitempty"`
	// openFDs is the pod's open file descriptors; unset while unknown.
	// +optional
	OpenFDs *int64 `json:"openFDs,omitempty"`
}

// AudioNodeList is a list of AudioNodes.
//
// +kubebuilder:object:root=true
type AudioNodeList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitzero"`
	Items           []AudioNode `json:"items"`
}
