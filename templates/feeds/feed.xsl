<?xml version="1.0" encoding="UTF-8"?>
<!-- Shows an RSS 2.0 or Atom 1.0 feed opened in a browser as a readable page.
     Feed readers ignore it. A site's own templates/feeds/feed.xsl replaces it (and is
     copied as it is; this one is a Jinja template, in the site's language). -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:atom="http://www.w3.org/2005/Atom"
    exclude-result-prefixes="atom">
  <xsl:output method="html" encoding="UTF-8" indent="yes"
              doctype-system="about:legacy-compat"/>

  <xsl:template match="/">
    <html lang="{{ site.language }}" dir="{{ site.direction }}">
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title><xsl:value-of select="(rss/channel/title | atom:feed/atom:title)[1]"/> ({{ _("feed") }})</title>
        <meta name="color-scheme" content="light dark"/>
        <style><![CDATA[
{% include "style.css" %}]]></style>
      </head>
      <body>
        <div class="page">
          <main class="card">
            <p class="about">{{ _("This is a web feed. Copy its address into a feed reader to follow new stories as they are published.") }}</p>
            <xsl:apply-templates select="rss/channel | atom:feed"/>
          </main>
        </div>
      </body>
    </html>
  </xsl:template>

  <xsl:template match="channel">
    <h1><a href="{link}"><xsl:value-of select="title"/></a></h1>
    <p class="lede"><xsl:value-of select="description"/></p>
    <h2>{{ _("Latest stories") }}</h2>
    <xsl:for-each select="item">
      <article class="story">
        <h3><a href="{link}"><xsl:value-of select="title"/></a></h3>
        <time><xsl:value-of select="pubDate"/></time>
        <!-- The description is HTML-escaped text: write it as it stands. -->
        <p><xsl:value-of select="description" disable-output-escaping="yes"/></p>
      </article>
    </xsl:for-each>
  </xsl:template>

  <xsl:template match="atom:feed">
    <h1><a href="{atom:link[@rel='alternate']/@href}"><xsl:value-of select="atom:title"/></a></h1>
    <p class="lede"><xsl:value-of select="atom:subtitle"/></p>
    <h2>{{ _("Latest stories") }}</h2>
    <xsl:for-each select="atom:entry">
      <article class="story">
        <h3><a href="{atom:link[@rel='alternate']/@href}"><xsl:value-of select="atom:title"/></a></h3>
        <time><xsl:value-of select="substring(atom:published, 1, 10)"/></time>
        <p><xsl:value-of select="atom:summary"/></p>
      </article>
    </xsl:for-each>
  </xsl:template>
</xsl:stylesheet>
