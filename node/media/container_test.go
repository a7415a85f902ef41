package media

import "testing"

func TestContainerSkeleton(t *testing.T) {
	var m mp4
	_ = m
}
