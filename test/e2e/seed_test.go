package e2e

import (
	"context"
	"fmt"
	"io"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kubectl-netpol/kubectl-netpol/plugin/load"
)

const threeTier = "../../testdata/three-tier/"

// seedThreeTier creates the bundled example on the server. A bare API
// server runs no controllers, so for every Deployment it also creates what
// the controllers would: a ReplicaSet owned by it and its pods, running,
// with IPs set through the status subresource.
func seedThreeTier(ctx context.Context, c kubernetes.Interface) error {
	// Whole: the API server requires what verdicts do not read (images).
	objs, err := load.Manifests(load.Source{Filenames: []string{threeTier}, Namespace: "default", Whole: true}, io.Discard)
	if err != nil {
		return err
	}
	// Namespaces first, as kubectl apply would need them.
	slices.SortStableFunc(objs, func(a, b runtime.Object) int {
		_, aNS := a.(*corev1.Namespace)
		_, bNS := b.(*corev1.Namespace)
		switch {
		case aNS && !bNS:
			return -1
		case bNS && !aNS:
			return 1
		}
		return 0
	})
	ip := 10
	for _, obj := range objs {
		var err error
		switch o := obj.(type) {
		case *corev1.Namespace:
			_, err = c.CoreV1().Namespaces().Create(ctx, o, metav1.CreateOptions{})
			if apierrors.IsAlreadyExists(err) {
				_, err = c.CoreV1().Namespaces().Update(ctx, o, metav1.UpdateOptions{})
			}
		case *corev1.Service:
			_, err = c.CoreV1().Services(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		case *networkingv1.NetworkPolicy:
			_, err = c.NetworkingV1().NetworkPolicies(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		case *appsv1.Deployment:
			err = createDeploymentWithPods(ctx, c, o, &ip)
		default:
			err = fmt.Errorf("seed: unexpected %T", obj)
		}
		if err != nil {
			return fmt.Errorf("create %T: %w", obj, err)
		}
	}
	return nil
}

// createDeploymentWithPods creates the Deployment, a ReplicaSet it owns and
// spec.replicas running pods that ReplicaSet owns, as the controllers would.
func createDeploymentWithPods(ctx context.Context, c kubernetes.Interface, d *appsv1.Deployment, nextIP *int) error {
	d, err := c.AppsV1().Deployments(d.Namespace).Create(ctx, d, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: d.Namespace, Name: d.Name + "-7d9f8b6c5",
			Labels:          d.Spec.Template.Labels,
			OwnerReferences: []metav1.OwnerReference{ownerRef("apps/v1", "Deployment", d.Name, d.UID)},
		},
		Spec: appsv1.ReplicaSetSpec{Replicas: d.Spec.Replicas, Selector: d.Spec.Selector, Template: d.Spec.Template},
	}
	if rs, err = c.AppsV1().ReplicaSets(d.Namespace).Create(ctx, rs, metav1.CreateOptions{}); err != nil {
		return err
	}
	replicas := int(ptr.Deref(d.Spec.Replicas, 1))
	for i := range replicas {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{
				Namespace: d.Namespace, Name: fmt.Sprintf("%s-%c%c%c%c%c", rs.Name, 'a'+i, 'b', 'c', 'd', 'e'),
				Labels:          d.Spec.Template.Labels,
				OwnerReferences: []metav1.OwnerReference{ownerRef("apps/v1", "ReplicaSet", rs.Name, rs.UID)},
			},
			Spec: d.Spec.Template.Spec,
		}
		if err := createRunningPod(ctx, c, pod, fmt.Sprintf("10.1.%d.%d", *nextIP/250, *nextIP%250)); err != nil {
			return err
		}
		*nextIP++
	}
	return nil
}

// createRunningPod creates a pod and marks it Running with the given IP.
func createRunningPod(ctx context.Context, c kubernetes.Interface, pod *corev1.Pod, ip string) error {
	pod, err := c.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	pod.Status = corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}}}
	_, err = c.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, pod, metav1.UpdateOptions{})
	return err
}

func ownerRef(apiVersion, kind, name string, uid types.UID) metav1.OwnerReference {
	return metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: name, UID: uid, Controller: ptr.To(true)}
}
