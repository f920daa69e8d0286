{{/* Names ------------------------------------------------------------------------------------ */}}

{{- define "taskpilot.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "taskpilot.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "taskpilot.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "taskpilot.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "taskpilot.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "taskpilot.secretName" -}}
{{- default (include "taskpilot.fullname" .) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "taskpilot.strimziCluster" -}}
{{- default (printf "%s-kafka" (include "taskpilot.fullname" .)) .Values.strimzi.clusterName | trunc 52 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels ----------------------------------------------------------------------------------- */}}

{{- define "taskpilot.labels" -}}
helm.sh/chart: {{ include "taskpilot.chart" . }}
app.kubernetes.io/name: {{ include "taskpilot.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: taskpilot
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component: include "taskpilot.selectorLabels" (list . "api") */}}
{{- define "taskpilot.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "taskpilot.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{/* Image ------------------------------------------------------------------------------------ */}}

{{- define "taskpilot.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}
{{- end -}}

{{/* Kafka brokers: the configured list, else the Strimzi bootstrap service. */}}
{{- define "taskpilot.kafkaBrokers" -}}
{{- if .Values.config.kafkaBrokers -}}
{{- .Values.config.kafkaBrokers -}}
{{- else if .Values.strimzi.enabled -}}
{{- printf "%s-kafka-bootstrap.%s.svc:9092" (include "taskpilot.strimziCluster" .) .Release.Namespace -}}
{{- end -}}
{{- end -}}

{{/* Checks of the values that would otherwise fail only at run time. Included by the ConfigMap. */}}
{{- define "taskpilot.validate" -}}
{{- $bus := .Values.config.eventBus -}}
{{- if not (has $bus (list "inprocess" "kafka" "dapr")) -}}
{{- fail (printf "config.eventBus must be inprocess, kafka or dapr (got %q)" $bus) -}}
{{- end -}}
{{- if not (has .Values.database.type (list "postgres" "sqlite")) -}}
{{- fail (printf "database.type must be postgres or sqlite (got %q)" .Values.database.type) -}}
{{- end -}}
{{- if eq .Values.database.type "sqlite" -}}
{{- if ne $bus "inprocess" -}}{{- fail "database.type=sqlite needs config.eventBus=inprocess (one process holds the database)" -}}{{- end -}}
{{- if or (gt (int .Values.api.replicas) 1) .Values.api.autoscaling.enabled -}}{{- fail "database.type=sqlite allows one API replica and no autoscaling" -}}{{- end -}}
{{- if not .Values.persistence.enabled -}}{{- fail "database.type=sqlite needs persistence.enabled=true, or every restart loses the data" -}}{{- end -}}
{{- else -}}
{{- if eq $bus "inprocess" -}}{{- fail "config.eventBus=inprocess works with database.type=sqlite only; use kafka or dapr with PostgreSQL" -}}{{- end -}}
{{- end -}}
{{- if and (eq $bus "kafka") (not (include "taskpilot.kafkaBrokers" .)) -}}
{{- fail "config.eventBus=kafka needs config.kafkaBrokers or strimzi.enabled=true" -}}
{{- end -}}
{{- if and (eq $bus "dapr") (not .Values.dapr.enabled) -}}
{{- fail "config.eventBus=dapr needs dapr.enabled=true (the sidecar annotations)" -}}
{{- end -}}
{{- if and .Values.dapr.enabled (ne $bus "dapr") -}}
{{- fail "dapr.enabled=true needs config.eventBus=dapr" -}}
{{- end -}}
{{- range .Values.api.workers -}}
{{- if not (has . (list "recurring" "reminders" "notifications" "audit")) -}}
{{- fail (printf "api.workers: unknown role %q (recurring, reminders, notifications, audit)" .) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Is there a Deployment for worker roles? (postgres and the workers enabled) */}}
{{- define "taskpilot.workerDeployments" -}}
{{- if and .Values.workers.enabled (eq .Values.database.type "postgres") -}}true{{- end -}}
{{- end -}}

{{/* Pod pieces shared by the API, the workers and the migration Job ---------------------------- */}}

{{/* Environment from the Secret. */}}
{{- define "taskpilot.secretEnv" -}}
{{- $secret := include "taskpilot.secretName" . -}}
{{- if eq .Values.database.type "postgres" }}
{{- if .Values.database.host }}
- name: DATABASE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: database-password
- name: TASKPILOT_DATABASE_URL
  value: {{ printf "postgres://%s:$(DATABASE_PASSWORD)@%s:%v/%s%s" .Values.database.user .Values.database.host .Values.database.port .Values.database.name (ternary (printf "?%s" .Values.database.params) "" (ne .Values.database.params "")) | quote }}
{{- else }}
- name: TASKPILOT_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: database-url
{{- end }}
{{- end }}
- name: TASKPILOT_JWT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: jwt-secret
- name: TASKPILOT_LLM_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: llm-api-key
      optional: true
- name: TASKPILOT_SMTP_URL
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: smtp-url
      optional: true
{{- end -}}

{{- define "taskpilot.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: data
  mountPath: /app/data
{{- end -}}

{{/* Volumes. The data folder is the PVC only for the API pod (include with list . true). */}}
{{- define "taskpilot.volumes" -}}
{{- $root := index . 0 -}}
{{- $usePVC := and (index . 1) $root.Values.persistence.enabled -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ $root.Values.tmpSizeLimit }}
- name: data
{{- if $usePVC }}
  persistentVolumeClaim:
    claimName: {{ $root.Values.persistence.existingClaim | default (printf "%s-data" (include "taskpilot.fullname" $root)) }}
{{- else }}
  emptyDir:
    sizeLimit: {{ $root.Values.tmpSizeLimit }}
{{- end }}
{{- end -}}

{{/* Dapr sidecar annotations: include "taskpilot.daprAnnotations" (list . "api") */}}
{{- define "taskpilot.daprAnnotations" -}}
{{- $root := index . 0 -}}
{{- if $root.Values.dapr.enabled }}
dapr.io/enabled: "true"
dapr.io/app-id: {{ printf "%s-%s" $root.Values.dapr.appIdPrefix (index . 1) | quote }}
dapr.io/app-port: "8080"
dapr.io/app-protocol: http
dapr.io/http-port: {{ $root.Values.dapr.httpPort | quote }}
dapr.io/log-level: {{ $root.Values.dapr.logLevel | quote }}
dapr.io/log-as-json: "true"
dapr.io/enable-metrics: "true"
dapr.io/metrics-port: "9090"
dapr.io/app-health-check-path: /health/live
dapr.io/enable-app-health-check: "true"
{{- with $root.Values.dapr.annotations }}
{{ toYaml . }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Environment of the Dapr mode for one pod kind: include "taskpilot.daprEnv" (list . "taskpilot-pubsub") */}}
{{- define "taskpilot.daprEnv" -}}
{{- $root := index . 0 -}}
{{- if $root.Values.dapr.enabled }}
- name: TASKPILOT_DAPR_HTTP_ENDPOINT
  value: {{ printf "http://127.0.0.1:%v" $root.Values.dapr.httpPort | quote }}
- name: TASKPILOT_DAPR_PUBSUB
  value: {{ index . 1 | quote }}
{{- end }}
{{- end -}}

{{/* Rolls pods when the configuration or the chart-made Secret changes. */}}
{{- define "taskpilot.checksums" -}}
checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- if not .Values.secrets.existingSecret }}
checksum/secret: {{ toJson .Values.secrets | sha256sum }}
{{- end }}
{{- end -}}
