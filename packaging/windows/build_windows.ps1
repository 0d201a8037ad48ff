<#
.SYNOPSIS
    Build the Windows installer of Drummond Desktop.

.DESCRIPTION
    On Windows 10/11 x64 with Python >= 3.11 and Inno Setup 6.3+ installed, from any directory:

        powershell -ExecutionPolicy Bypass -File packaging\windows\build_windows.ps1

    1. syncs .venv-build\ from uv.lock (runtime + the 'packaging' group, as build_linux.sh does)
    2. runs PyInstaller with packaging\drummond_desktop.spec -> dist\drummond-desktop\
    3. signs the two executables, drummond-desktop.exe (the window) and drummond.exe (the
       command line), when a certificate is configured (see below)
    4. runs the frozen `drummond-desktop --self-test` in throw-away user folders
    5. compiles packaging\windows\installer.iss with the version from pyproject.toml ->
       dist\drummond-desktop-<version>-windows-x64-setup.exe (Inno signs it and its uninstaller)

    Signing happens only when WINDOWS_CERT_PFX (path of a .pfx) and WINDOWS_CERT_PASSWORD are set;
    WINDOWS_TIMESTAMP_URL overrides the timestamp server and SIGNTOOL / ISCC the tools' paths. The
    certificate is imported into the CurrentUser\My store for the build and removed afterwards, so
    the password never appears on a command line or in iscc's log (which prints Sign Tool commands).

    Reviewed, not run in this project's CI (which has no Windows machine).
#>
[CmdletBinding()]
param()

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$Root = (Resolve-Path (Join-Path $PSScriptRoot '..\..')).Path
$Spec = Join-Path $Root 'packaging\drummond_desktop.spec'
$Iss = Join-Path $PSScriptRoot 'installer.iss'
$AppExe = Join-Path $Root 'dist\drummond-desktop\drummond-desktop.exe'
$CliExe = Join-Path $Root 'dist\drummond-desktop\drummond.exe'
$BuildVenv = Join-Path $Root '.venv-build'
$Python = if ($env:DRUMMOND_PYTHON) { $env:DRUMMOND_PYTHON } else { 'python' }
$TimestampUrl = if ($env:WINDOWS_TIMESTAMP_URL) { $env:WINDOWS_TIMESTAMP_URL } else { 'http://timestamp.digicert.com' }

function Say([string]$Message) { Write-Host "build_windows: $Message" }

# Native commands do not throw on a non-zero exit code: every call goes through this. Their
# output goes to the console, not into the calling function's return value.
function Invoke-Checked([string]$What, [scriptblock]$Command) {
    & $Command | Out-Host
    if ($LASTEXITCODE -ne 0) { throw "build_windows: $What failed (exit code $LASTEXITCODE)" }
}

# The uv that packaging/dev-run pins, in .venv-tools\ like on Linux and macOS.
function Get-Uv {
    $pin = (Select-String -Path (Join-Path $Root 'packaging\dev-run') -Pattern '^UV_VERSION=(\S+)').Matches[0].Groups[1].Value
    $uv = Join-Path $Root '.venv-tools\Scripts\uv.exe'
    $have = if (Test-Path $uv) { (& $uv --version).Split(' ')[1] } else { '' }
    if ($have -ne $pin) {
        Say "installing uv $pin into .venv-tools\"
        Invoke-Checked 'creating .venv-tools' { & $Python -m venv (Join-Path $Root '.venv-tools') }
        Invoke-Checked "installing uv $pin" {
            & (Join-Path $Root '.venv-tools\Scripts\python.exe') -m pip install --quiet --disable-pip-version-check "uv==$pin"
        }
    }
    return $uv
}

function Find-Tool([string]$Override, [string]$Name, [string[]]$Candidates) {
    if ($Override) { return $Override }
    $onPath = Get-Command $Name -ErrorAction SilentlyContinue
    if ($onPath) { return $onPath.Source }
    foreach ($candidate in $Candidates) { if (Test-Path $candidate) { return $candidate } }
    throw "build_windows: $Name not found on PATH nor in: $($Candidates -join ', ')"
}

function Find-SignTool {
    $kits = Join-Path ${env:ProgramFiles(x86)} 'Windows Kits\10\bin'
    $sdk = @(Get-ChildItem $kits -Recurse -Filter signtool.exe -ErrorAction SilentlyContinue |
        Where-Object { $_.Directory.Name -eq 'x64' } | Sort-Object FullName -Descending |
        ForEach-Object { $_.FullName })
    return Find-Tool $env:SIGNTOOL 'signtool.exe' $sdk
}

# Returns the imported certificate, or $null (and says so) when no certificate is configured.
function Import-SigningCertificate {
    if (-not $env:WINDOWS_CERT_PFX -or -not $env:WINDOWS_CERT_PASSWORD) {
        Say 'WINDOWS_CERT_PFX / WINDOWS_CERT_PASSWORD not set: skipping code signing (the app and its installer stay UNSIGNED)'
        return $null
    }
    $flags = [Security.Cryptography.X509Certificates.X509KeyStorageFlags]'UserKeySet, PersistKeySet'
    $cert = [Security.Cryptography.X509Certificates.X509Certificate2]::new($env:WINDOWS_CERT_PFX, $env:WINDOWS_CERT_PASSWORD, $flags)
    $store = [Security.Cryptography.X509Certificates.X509Store]::new('My', 'CurrentUser')
    $store.Open('ReadWrite')
    try { $store.Add($cert) } finally { $store.Close() }
    Say "signing with certificate $($cert.Thumbprint) ($($cert.Subject))"
    return $cert
}

function Remove-SigningCertificate($Cert) {
    if ($Cert) { Remove-Item "Cert:\CurrentUser\My\$($Cert.Thumbprint)" -DeleteKey -ErrorAction Continue }
}

function Invoke-Sign([string]$SignTool, $Cert, [string]$File) {
    Invoke-Checked "signing $File" {
        & $SignTool sign /sha1 $Cert.Thumbprint /fd sha256 /tr $TimestampUrl /td sha256 /d 'Drummond Desktop' $File
    }
}

# The frozen app checks itself: engine kernels, both databases, an offscreen chart, the keyring
# backend, resources. Throw-away user folders keep the build machine's profile out of it.
function Invoke-SelfTest {
    $tmp = Join-Path ([IO.Path]::GetTempPath()) ("drummond-self-test-" + [guid]::NewGuid())
    New-Item -ItemType Directory -Path $tmp | Out-Null
    foreach ($kind in 'DATA', 'CONFIG', 'CACHE', 'LOG') {
        Set-Item "env:DRUMMOND_${kind}_DIR" (Join-Path $tmp $kind.ToLower())
    }
    $env:QT_QPA_PLATFORM = 'offscreen'
    $out = Join-Path $tmp 'stdout.txt'
    $err = Join-Path $tmp 'stderr.txt'
    # Start-Process waits for the windowed executable and keeps its exit code.
    $proc = Start-Process -FilePath $AppExe -ArgumentList '--self-test' -Wait -PassThru -NoNewWindow `
        -RedirectStandardOutput $out -RedirectStandardError $err
    # A windowed build has no stdout: the app then writes its lines to <log dir>\self-test.txt.
    $report = @($out, $err, (Join-Path $tmp 'log\self-test.txt')) | Where-Object { Test-Path $_ }
    Get-Content $report | Write-Host
    if ($proc.ExitCode -ne 0) {
        throw "build_windows: the frozen self-test failed (exit code $($proc.ExitCode)); its folders are in $tmp"
    }
    Remove-Item -Recurse -Force $tmp
    foreach ($name in 'DRUMMOND_DATA_DIR', 'DRUMMOND_CONFIG_DIR', 'DRUMMOND_CACHE_DIR', 'DRUMMOND_LOG_DIR', 'QT_QPA_PLATFORM') {
        Remove-Item "env:$name"
    }
    Say 'frozen self-test passed'
}

Set-Location $Root
$uv = Get-Uv
$env:UV_PROJECT_ENVIRONMENT = $BuildVenv
$env:UV_PYTHON_DOWNLOADS = 'never'
Invoke-Checked 'uv sync' { & $uv sync --locked --no-dev --group packaging --python $Python }
$VenvPython = Join-Path $BuildVenv 'Scripts\python.exe'
$Version = (& $VenvPython -c "import tomllib; print(tomllib.load(open('pyproject.toml', 'rb'))['project']['version'])").Trim()
if ($LASTEXITCODE -ne 0 -or -not $Version) { throw 'build_windows: could not read [project] version from pyproject.toml' }
Say "building Drummond Desktop $Version"

Invoke-Checked 'PyInstaller' { & $VenvPython -m PyInstaller --noconfirm --clean $Spec }
foreach ($exe in $AppExe, $CliExe) {
    if (-not (Test-Path $exe)) { throw "build_windows: PyInstaller did not produce $exe" }
}

$cert = Import-SigningCertificate
try {
    $isccArgs = @("/DAppVersion=$Version")
    if ($cert) {
        $signTool = Find-SignTool
        foreach ($exe in $AppExe, $CliExe) { Invoke-Sign $signTool $cert $exe }
        # $q is Inno's quote, $f the file it signs; the command holds only the thumbprint.
        $isccArgs += "/Sdrummondsign=`$q$signTool`$q sign /sha1 $($cert.Thumbprint) /fd sha256 /tr $TimestampUrl /td sha256 /d `$qDrummond Desktop`$q `$f"
        $isccArgs += '/DSignToolName=drummondsign'
    }
    Invoke-SelfTest
    $iscc = Find-Tool $env:ISCC 'iscc.exe' @(
        (Join-Path ${env:ProgramFiles(x86)} 'Inno Setup 6\ISCC.exe'),
        (Join-Path $env:LOCALAPPDATA 'Programs\Inno Setup 6\ISCC.exe'))
    Invoke-Checked 'Inno Setup' { & $iscc @isccArgs $Iss }
    $setup = Join-Path $Root "dist\drummond-desktop-$Version-windows-x64-setup.exe"
    if (-not (Test-Path $setup)) { throw "build_windows: iscc did not produce $setup" }
    if ($cert) {
        Invoke-Checked 'verifying signatures' { & $signTool verify /pa $AppExe $CliExe $setup }
    }
} finally {
    Remove-SigningCertificate $cert
}
Say "done: $setup"
