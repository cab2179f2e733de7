package main

import "testing"

func TestAskpassPolicy(t *testing.T) {
	for _, tc := range []struct {
		env          map[string]string
		use, allowed bool
	}{
		{map[string]string{}, false, false},
		{map[string]string{"DISPLAY": ":0"}, false, true},
		{map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, false, true},
		{map[string]string{"SSH_ASKPASS_REQUIRE": "force"}, true, true},
		{map[string]string{"SSH_ASKPASS_REQUIRE": "FORCE"}, true, true},
		{map[string]string{"SSH_ASKPASS_REQUIRE": "prefer"}, false, false},
		{map[string]string{"SSH_ASKPASS_REQUIRE": "prefer", "DISPLAY": ":0"}, true, true},
		{map[string]string{"SSH_ASKPASS_REQUIRE": "never", "DISPLAY": ":0"}, false, false},
		{map[string]string{"SSH_ASKPASS_REQUIRE": "bogus", "DISPLAY": ":0"}, false, true},
	} {
		use, allowed := askpassPolicy(func(k string) string { return tc.env[k] })
		if use != tc.use || allowed != tc.allowed {
			t.Errorf("%v: use=%v allowed=%v, want %v %v", tc.env, use, allowed, tc.use, tc.allowed)
		}
	}
}
