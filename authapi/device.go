package authapi

import "strings"

// deviceInfo describes the client of a new session from its User-Agent:
// the (truncated) header and a coarse browser and OS when recognisable.
func deviceInfo(userAgent string) map[string]string {
	ua := truncate(userAgent, maxUserAgent)
	info := map[string]string{"user_agent": ua}
	if b := browserOf(ua); b != "" {
		info["browser"] = b
	}
	if o := osOf(ua); o != "" {
		info["os"] = o
	}
	return info
}

// The order matters: Edge and Opera also say Chrome, Chrome also says Safari.
var browsers = []struct{ token, name string }{
	{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"},
	{"CriOS/", "Chrome"}, {"Chrome/", "Chrome"}, {"Safari/", "Safari"},
	{"curl/", "curl"}, {"Go-http-client/", "Go"}, {"python-requests/", "Python"}, {"okhttp/", "OkHttp"},
}

var systems = []struct{ token, name string }{
	{"Android", "Android"}, {"iPhone", "iOS"}, {"iPad", "iPadOS"}, {"Windows", "Windows"},
	{"Mac OS X", "macOS"}, {"Macintosh", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"},
}

func browserOf(ua string) string {
	for _, b := range browsers {
		if strings.Contains(ua, b.token) {
			return b.name
		}
	}
	return ""
}

func osOf(ua string) string {
	for _, s := range systems {
		if strings.Contains(ua, s.token) {
			return s.name
		}
	}
	return ""
}
