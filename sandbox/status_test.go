package sandbox

import (
	"strings"
	"testing"
)

func TestStatusFor(t *testing.T) {
	for _, tc := range []struct {
		abi, maxABI int
		want        Status
	}{
		{1, 0, Status{ABI: 1, Reason: "x"}},
		{2, 0, Status{ABI: 2, Ptrace: true}},
		{5, 0, Status{ABI: 5, Ptrace: true}},
		{6, 0, Status{ABI: 6, Ptrace: true, Signals: true, AbstractSockets: true}},
		{9, 0, Status{ABI: 9, Ptrace: true, Signals: true, AbstractSockets: true}},
		{7, 5, Status{ABI: 5, Ptrace: true}},
		{7, 1, Status{ABI: 1, Reason: "x"}},
		{4, 6, Status{ABI: 4, Ptrace: true}},
	} {
		testOnlyMaxABI = tc.maxABI
		got := statusFor(tc.abi)
		testOnlyMaxABI = 0
		if (got.Reason == "") != (tc.want.Reason == "") {
			t.Errorf("ABI %d (at most %d): reason %q", tc.abi, tc.maxABI, got.Reason)
		}
		got.Reason, tc.want.Reason = "", ""
		if got != tc.want {
			t.Errorf("ABI %d (at most %d): %+v, expected %+v", tc.abi, tc.maxABI, got, tc.want)
		}
	}
}

func TestStatusString(t *testing.T) {
	for _, tc := range []struct {
		s    Status
		want []string
	}{
		{Status{Reason: "the kernel has no Landlock"}, []string{"no Landlock domain: the kernel has no Landlock"}},
		{Status{ABI: 4, Ptrace: true}, []string{"ABI 4", "ptrace", "need ABI 6"}},
		{Status{ABI: 7, Ptrace: true, Signals: true, AbstractSockets: true}, []string{"ABI 7", "no signals", "abstract unix sockets"}},
		{Status{ABI: 7, Ptrace: true, Signals: true, AbstractSockets: true, Privileged: true}, []string{"CAP_SYS_ADMIN", "environ stays readable"}},
	} {
		got := tc.s.String()
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%+v: %q lacks %q", tc.s, got, w)
			}
		}
		if strings.HasSuffix(got, ".") {
			t.Errorf("%q ends with a period", got)
		}
	}
}
