package query

import (
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Trim returns a Pod or a workload reduced to the fields the engine reads,
// and any other object as it is. A decoded pod of a real cluster is mostly
// what no verdict depends on (images, resources, probes, volumes,
// conditions, annotations, managed fields); a snapshot keeps its objects
// (for what-ifs), so a reader that trims each object as it decodes it
// holds a large cluster in a fraction of the memory. Answers do not
// change (TestTrimKeepsAnswers): what podFromObject, podFromSpec,
// workloadKind and controllerOf read is kept, and a field they come to
// read must be kept here too.
//
// The result shares the labels and owner references of obj; obj is not
// modified.
func Trim(obj runtime.Object) runtime.Object {
	switch o := obj.(type) {
	case *corev1.Pod:
		return &corev1.Pod{
			TypeMeta:   o.TypeMeta,
			ObjectMeta: trimMeta(&o.ObjectMeta),
			Spec:       trimPodSpec(&o.Spec),
			Status:     corev1.PodStatus{Phase: o.Status.Phase, PodIP: o.Status.PodIP, PodIPs: o.Status.PodIPs},
		}
	case *appsv1.Deployment:
		return &appsv1.Deployment{TypeMeta: o.TypeMeta, ObjectMeta: trimMeta(&o.ObjectMeta),
			Spec: appsv1.DeploymentSpec{Selector: o.Spec.Selector, Template: trimTemplate(&o.Spec.Template)}}
	case *appsv1.StatefulSet:
		return &appsv1.StatefulSet{TypeMeta: o.TypeMeta, ObjectMeta: trimMeta(&o.ObjectMeta),
			Spec: appsv1.StatefulSetSpec{Selector: o.Spec.Selector, Template: trimTemplate(&o.Spec.Template)}}
	case *appsv1.DaemonSet:
		return &appsv1.DaemonSet{TypeMeta: o.TypeMeta, ObjectMeta: trimMeta(&o.ObjectMeta),
			Spec: appsv1.DaemonSetSpec{Selector: o.Spec.Selector, Template: trimTemplate(&o.Spec.Template)}}
	case *appsv1.ReplicaSet:
		return &appsv1.ReplicaSet{TypeMeta: o.TypeMeta, ObjectMeta: trimMeta(&o.ObjectMeta),
			Spec: appsv1.ReplicaSetSpec{Selector: o.Spec.Selector, Template: trimTemplate(&o.Spec.Template)}}
	case *batchv1.Job:
		return &batchv1.Job{TypeMeta: o.TypeMeta, ObjectMeta: trimMeta(&o.ObjectMeta),
			Spec: batchv1.JobSpec{Template: trimTemplate(&o.Spec.Template)}}
	case *batchv1.CronJob:
		return &batchv1.CronJob{TypeMeta: o.TypeMeta, ObjectMeta: trimMeta(&o.ObjectMeta),
			Spec: batchv1.CronJobSpec{JobTemplate: batchv1.JobTemplateSpec{
				Spec: batchv1.JobSpec{Template: trimTemplate(&o.Spec.JobTemplate.Spec.Template)}}}}
	case *corev1.ReplicationController:
		rc := &corev1.ReplicationController{TypeMeta: o.TypeMeta, ObjectMeta: trimMeta(&o.ObjectMeta),
			Spec: corev1.ReplicationControllerSpec{Selector: o.Spec.Selector}}
		if o.Spec.Template != nil {
			t := trimTemplate(o.Spec.Template)
			rc.Spec.Template = &t
		}
		return rc
	}
	return obj
}

// trimMeta keeps what names an object, selects it and tells its owner.
func trimMeta(m *metav1.ObjectMeta) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: m.Name, Namespace: m.Namespace, Labels: m.Labels, OwnerReferences: m.OwnerReferences}
}

// trimTemplate keeps a pod template's labels and what its pods' ports and
// placement are read from.
func trimTemplate(t *corev1.PodTemplateSpec) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: t.Labels}, Spec: trimPodSpec(&t.Spec)}
}

// trimPodSpec keeps the containers' names and ports (and which init
// containers are sidecars), the host network, the node and the service
// account (a Cilium identity label).
func trimPodSpec(s *corev1.PodSpec) corev1.PodSpec {
	return corev1.PodSpec{
		Containers:               trimContainers(s.Containers),
		InitContainers:           trimContainers(s.InitContainers),
		HostNetwork:              s.HostNetwork,
		NodeName:                 s.NodeName,
		ServiceAccountName:       s.ServiceAccountName,
		DeprecatedServiceAccount: s.DeprecatedServiceAccount,
	}
}

func trimContainers(cs []corev1.Container) []corev1.Container {
	if cs == nil {
		return nil
	}
	out := make([]corev1.Container, len(cs))
	for i, c := range cs {
		out[i] = corev1.Container{Name: c.Name, Ports: c.Ports, RestartPolicy: c.RestartPolicy}
	}
	return out
}
