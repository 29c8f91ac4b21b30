package main

import (
	"strings"
)

// workloadKinds are the kinds a rollout belongs to, by every spelling
// kubectl takes (singular, plural, short name, any case).
var workloadKinds = map[string]string{
	"deploy": "Deployment", "deployment": "Deployment", "deployments": "Deployment",
	"sts": "StatefulSet", "statefulset": "StatefulSet", "statefulsets": "StatefulSet",
	"ds": "DaemonSet", "daemonset": "DaemonSet", "daemonsets": "DaemonSet",
	"job": "Job", "jobs": "Job",
	"cj": "CronJob", "cronjob": "CronJob", "cronjobs": "CronJob",
}

// kindList is the spellings for --help and error messages.
const kindList = "deployment (deploy), statefulset (sts), daemonset (ds), job, cronjob (cj)"

// parseKind returns the Kubernetes kind of a --kind value ("" for "").
func parseKind(flag, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	if k, ok := workloadKinds[strings.ToLower(v)]; ok {
		return k, nil
	}
	return "", usagef("--%s %q: not a workload kind; want %s", flag, v, kindList)
}
