# The public portal and report downloads (PDF, Word).

portal-download-pdf = Download PDF
portal-download-word = Download Word
portal-downloads = Download
portal-pdf-no-font = The server has no Chinese font installed, so the PDF cannot be made for now. Download the Word version, or ask the administrator to install a Chinese font (such as fonts-noto-cjk) and try again.
