{{/* Name prefix of every object: the release name, cut to leave room for suffixes. */}}
{{- define "audionode.fullname" -}}
{{- if contains "audionode" .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-audionode" .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "audionode.labels" -}}
app.kubernetes.io/name: audionode
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "audionode.selectorLabels" -}}
app.kubernetes.io/name: audionode
app.kubernetes.io/instance: {{ .Release.Name }}
control-plane: controller-manager
{{- end -}}

{{- define "audionode.serviceAccountName" -}}
{{ include "audionode.fullname" . }}-controller-manager
{{- end -}}
