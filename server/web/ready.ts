/** The path Keel's web server answers with this start's nonce, so `keel start` knows it is its own server answering. */
export const READY_PATH = "/.keel/ready";
