package httpapi

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed console/*
var consoleFiles embed.FS

//go:embed openapi.json
var openAPI []byte

func consoleHandler() http.Handler {
	sub, err := fs.Sub(consoleFiles, "console")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return http.StripPrefix("/console/", http.FileServer(http.FS(sub)))
}

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	_, err := w.Write(openAPI)
	return err
}
