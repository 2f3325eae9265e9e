package webhook

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The vector published with the Standard Webhooks specification.
const (
	vecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vecID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vecTS     = 1614265330
	vecBody   = `{"test": 2432232314}`
	vecSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignMatchesSpecificationVector(t *testing.T) {
	key, err := DecodeSecret(vecSecret)
	if err != nil {
		t.Fatal(err)
	}
	if got := Sign(key, vecID, time.Unix(vecTS, 0), []byte(vecBody)); got != vecSig {
		t.Fatalf("Sign = %s, want %s", got, vecSig)
	}
}

func headers(id string, ts int64, sig string) http.Header {
	h := http.Header{}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderSignature, sig)
	return h
}

func TestVerify(t *testing.T) {
	other, _ := NewSecret()
	otherKey, _ := DecodeSecret(other)
	vecKey, _ := DecodeSecret(vecSecret)
	now := time.Unix(vecTS, 0)
	both := SignAll([][]byte{otherKey, vecKey}, vecID, now, []byte(vecBody))
	cases := []struct {
		name    string
		secrets []string
		h       http.Header
		body    string
		want    error
	}{
		{"valid", []string{vecSecret}, headers(vecID, vecTS, vecSig), vecBody, nil},
		{"tampered body", []string{vecSecret}, headers(vecID, vecTS, vecSig), `{"test": 1}`, ErrSignature},
		{"tampered id", []string{vecSecret}, headers("msg_x", vecTS, vecSig), vecBody, ErrSignature},
		{"wrong secret", []string{other}, headers(vecID, vecTS, vecSig), vecBody, ErrSignature},
		{"old timestamp", []string{vecSecret}, headers(vecID, vecTS-301, vecSig), vecBody, ErrTimestamp},
		{"future timestamp", []string{vecSecret}, headers(vecID, vecTS+301, vecSig), vecBody, ErrTimestamp},
		{"bad timestamp", []string{vecSecret}, headers(vecID, vecTS, vecSig), vecBody, ErrTimestamp},
		{"missing signature", []string{vecSecret}, headers(vecID, vecTS, ""), vecBody, ErrMissingHeaders},
		{"other version", []string{vecSecret}, headers(vecID, vecTS, "v1a,"+vecSig[3:]), vecBody, ErrSignature},
		{"rotation, old receiver", []string{vecSecret}, headers(vecID, vecTS, both), vecBody, nil},
		{"rotation, new receiver", []string{other}, headers(vecID, vecTS, both), vecBody, nil},
		{"receiver with two secrets", []string{other, vecSecret}, headers(vecID, vecTS, vecSig), vecBody, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "bad timestamp" {
				c.h.Set(HeaderTimestamp, "16142653x0")
			}
			v, err := NewVerifier(c.secrets...)
			if err != nil {
				t.Fatal(err)
			}
			v.Now = func() time.Time { return now }
			if err := v.Verify(c.h, []byte(c.body)); !errors.Is(err, c.want) {
				t.Fatalf("Verify = %v, want %v", err, c.want)
			}
		})
	}
}

func TestSecrets(t *testing.T) {
	s, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s, SecretPrefix) {
		t.Fatalf("secret %q lacks prefix", s)
	}
	k, err := DecodeSecret(s)
	if err != nil || len(k) != secretBytes {
		t.Fatalf("DecodeSecret = %d bytes, %v", len(k), err)
	}
	if s2, _ := NewSecret(); s2 == s {
		t.Fatal("two secrets are equal")
	}
	for _, bad := range []string{"", "whsec_", "whsec_!!!", "whsec_abc"} {
		if _, err := DecodeSecret(bad); !errors.Is(err, ErrSecret) {
			t.Errorf("DecodeSecret(%q) = %v, want ErrSecret", bad, err)
		}
	}
}

func FuzzVerify(f *testing.F) {
	f.Add(vecID, "1614265330", vecSig, vecBody)
	f.Add("", "x", "v1,", "")
	f.Add("id", "-1", "v1,a v1,b v2,c", "{}")
	v, _ := NewVerifier(vecSecret)
	v.Now = func() time.Time { return time.Unix(vecTS, 0) }
	f.Fuzz(func(t *testing.T, id, ts, sig, body string) {
		h := http.Header{}
		h.Set(HeaderID, id)
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderSignature, sig)
		err := v.Verify(h, []byte(body))
		if err == nil && (id != vecID || body != vecBody) {
			t.Fatalf("accepted a forged message id=%q body=%q", id, body)
		}
	})
}
