package load

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// IsURL reports whether a -f path is a URL, as kubectl tells them: it
// starts with http:// or https://.
func IsURL(path string) bool {
	return strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://")
}

// urlAttempts is how many times a URL is asked for when the server fails
// (5xx), as kubectl does; urlBackoff the wait after the first failure,
// growing with each (a variable, lowered by tests).
const urlAttempts = 3

var urlBackoff = time.Second

// urlClient fetches -f URLs. The timeout bounds a server that never answers
// or never ends its body: manifests are read, not streamed.
var urlClient = &http.Client{Timeout: 60 * time.Second}

// readURL reads the manifests at a URL as kubectl's -f URL does: a GET,
// asked again after a server error, and anything but 200 OK an error
// naming the status.
func readURL(url string) ([]byte, error) {
	var err error
	for attempt := 1; attempt <= urlAttempts; attempt++ {
		if attempt > 1 {
			time.Sleep(time.Duration(attempt-1) * urlBackoff)
		}
		var resp *http.Response
		resp, err = urlClient.Get(url)
		if err != nil {
			return nil, err // names the method and the URL
		}
		if resp.StatusCode == http.StatusOK {
			defer resp.Body.Close()
			return readInput(url, resp.Body, resp.ContentLength)
		}
		resp.Body.Close()
		err = fmt.Errorf("read %s: the server answered %s", url, resp.Status)
		if resp.StatusCode < 500 {
			break
		}
	}
	return nil, err
}
