# 公众门户与报告下载（PDF、Word）。

portal-download-pdf = 下载 PDF
portal-download-word = 下载 Word
portal-downloads = 下载
portal-pdf-no-font = 服务器未安装中文字体，暂时无法生成 PDF 文件。请先下载 Word 版本，或请系统管理员安装中文字体（如 fonts-noto-cjk）后再试。
