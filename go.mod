module github.com/chainrule/chainrule

go 1.26

require gonum.org/v1/gonum v0.17.0

require (
	github.com/chromedp/chromedp v0.23.1
	github.com/nlpodyssey/safetensors v0.0.0-20250209183917-bfb01cc25f7c
)

require (
	github.com/chromedp/cdproto v0.160.1 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	golang.org/x/tools v0.30.0 // indirect
)
